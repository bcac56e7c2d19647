// Command templatecheck checks what `sam deploy` would deploy against the
// cloud-readiness rules (Rules): it transforms template.yaml with
// aws-sam-translator, as CloudFormation does, and checks the result. `make lint`
// runs it; it exits 1 on any finding.
//
//	go run ./infra/templatecheck [template.yaml]
package main

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

//go:embed transform.py
var transformPy string

// Transform returns the template at path as CloudFormation sees it.
func Transform(path string) (*Template, error) {
	out, err := exec.Command("python3", "-c", transformPy, path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("aws-sam-translator could not transform %s: %v\n%s", path, err, ee.Stderr)
		}
		return nil, fmt.Errorf("run python3 (with aws-sam-translator installed): %w", err)
	}
	return parse(out)
}

func main() {
	path := "template.yaml"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	t, err := Transform(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "templatecheck:", err)
		os.Exit(2)
	}
	findings := Check(t)
	for _, f := range findings {
		fmt.Println(f)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "templatecheck: %d findings in %s (rules: docs/operations.md)\n", len(findings), path)
		os.Exit(1)
	}
	fmt.Printf("templatecheck: %s passes %d rules over %d resources\n", path, len(Rules), len(t.Resources))
}
