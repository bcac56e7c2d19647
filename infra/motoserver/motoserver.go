// Package motoserver starts moto_server, a DynamoDB-compatible engine, on a free
// loopback port and stops it again. It is how tests and the local stack get a real
// DynamoDB API without Docker or an AWS account.
package motoserver

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// InstallHint tells a newcomer how to get the engine.
const InstallHint = `moto_server was not found on PATH. Install it with: pip install "moto[server]" ` +
	`(or point AWS_ENDPOINT_URL at DynamoDB Local or another DynamoDB-compatible endpoint)`

// Server is a running moto_server.
type Server struct {
	URL string
	cmd *exec.Cmd
}

// launcher serves moto's application with the moto behaviours that differ from
// DynamoDB's documented ones corrected (atomic transactions without whole-table
// copies, one stream record per item change and none for a write that changes
// nothing, stream retention and iterator expiry), one request at a time. Its
// docstring lists each correction.
//
//go:embed launcher.py
var launcher string

// python finds the interpreter moto is installed for.
func python() (string, error) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return "", errors.New(InstallHint)
	}
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil && exec.Command(p, "-c", "import moto.server").Run() == nil {
			return p, nil
		}
	}
	return "", errors.New(InstallHint + " (moto_server is on PATH but its Python package is not importable by python3)")
}

// Start runs moto's server on a free 127.0.0.1 port and waits until it answers.
func Start(ctx context.Context) (*Server, error) {
	py, err := python()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	cmd := exec.Command(py, "-c", launcher, "127.0.0.1", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if os.Getenv("MOTO_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	// Its own process group, and killed if we die, so no engine outlives its owner.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("moto_server did not answer on %s within 30s: %w", s.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the server and its children.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
