"""Print template.yaml as CloudFormation will see it: transformed by
aws-sam-translator (what `sam deploy` uploads is transformed the same way), with
each state machine's definition read from its DefinitionUri file, so the check
sees the ASL too. Managed policy names are not looked up (no AWS calls)."""
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

path = sys.argv[1]
base = os.path.dirname(os.path.abspath(path))
tpl = yaml_parse(open(path).read())
for res in tpl["Resources"].values():
    props = res.get("Properties", {})
    if res["Type"] == "AWS::Serverless::Function":
        props["CodeUri"] = "s3://artifacts/code.zip"
    if res["Type"] == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
        with open(os.path.join(base, props.pop("DefinitionUri"))) as f:
            props["Definition"] = json.load(f)


class NoManagedPolicies:
    def load(self):
        return {}


json.dump(transform(tpl, {}, NoManagedPolicies()), sys.stdout, indent=1, sort_keys=True)
