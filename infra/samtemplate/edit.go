package samtemplate

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// WithoutStatement returns the template text with one IAM statement (by Sid) of
// one resource's Policies removed, keeping every tag (!GetAtt, !Sub) as written.
// Tests use it to prove each statement is needed: the flow it serves must fail.
func WithoutStatement(template []byte, resource, sid string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, err
	}
	res := child(child(doc.Content[0], "Resources"), resource)
	policies := child(child(res, "Properties"), "Policies")
	if policies == nil {
		return nil, fmt.Errorf("%s has no Policies", resource)
	}
	removed := false
	for _, pol := range policies.Content {
		st := child(pol, "Statement")
		if st == nil {
			continue
		}
		kept := st.Content[:0]
		for _, s := range st.Content {
			if id := child(s, "Sid"); id != nil && id.Value == sid {
				removed = true
				continue
			}
			kept = append(kept, s)
		}
		st.Content = kept
	}
	if !removed {
		return nil, fmt.Errorf("%s has no statement %s", resource, sid)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// child is a mapping node's value for key, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
