//go:build integration

package integration

import "testing"

// TestKernelDefaultName starts kernels without naming a kernelspec, over
// api/kernels and api/sessions: both get the spec api/kernelspecs calls the
// default, which one place (the kernel manager) picks.
func TestKernelDefaultName(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})

	status, body, _ := apiJSON(t, in, "GET", "api/kernelspecs", nil)
	if status != 200 {
		t.Fatalf("GET api/kernelspecs: %d %s", status, body)
	}
	var specs struct {
		Default string `json:"default"`
	}
	decode(t, "GET api/kernelspecs", body, &specs)
	if specs.Default == "" {
		t.Fatalf("no default kernelspec: %s", body)
	}

	status, body, _ = apiJSON(t, in, "POST", "api/kernels", map[string]any{})
	if status != 201 {
		t.Fatalf("POST api/kernels {}: %d %s", status, body)
	}
	var k kernelModel
	decode(t, "POST api/kernels", body, &k)
	kernelPID(t, in, k.ID) // registers the cleanup kill
	if k.Name != specs.Default {
		t.Errorf("kernel started without a name is %q, want the default %q", k.Name, specs.Default)
	}

	status, body, _ = apiJSON(t, in, "POST", "api/sessions", map[string]any{
		"path": "d.ipynb", "type": "notebook", "name": "d.ipynb", "kernel": map[string]any{},
	})
	if status != 201 {
		t.Fatalf("POST api/sessions without a kernel name: %d %s", status, body)
	}
	var s struct {
		Kernel kernelModel `json:"kernel"`
	}
	decode(t, "POST api/sessions", body, &s)
	kernelPID(t, in, s.Kernel.ID)
	if s.Kernel.Name != specs.Default {
		t.Errorf("session kernel started without a name is %q, want the default %q", s.Kernel.Name, specs.Default)
	}
}
