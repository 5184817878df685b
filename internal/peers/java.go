package peers

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Paths of the JDK programs (Debian's openjdk-17-jdk-headless).
const (
	JavacPath = "/usr/bin/javac"
	JavaPath  = "/usr/bin/java"
)

// CompileJava compiles the Java sources into a new temporary directory and
// returns it (the class path for RunJava). Without a JDK the test is
// skipped (or fails when CI=true).
func CompileJava(t testing.TB, sources ...string) string {
	t.Helper()
	RequireProgram(t, JavacPath)
	RequireProgram(t, JavaPath)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-encoding", "UTF-8", "-Xlint:all", "-d", dir}, sources...)
	out, err := exec.CommandContext(ctx, JavacPath, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("peers: javac %v: %v\n%s", sources, err, out)
	}
	return dir
}

// JavaResult is what one java run printed and how it ended.
type JavaResult struct {
	// Stdout and Stderr are the program's output streams.
	Stdout, Stderr string
	// Exit is the exit status.
	Exit int
}

// RunJava runs `java -cp CLASSPATH MAIN ARGS...`, at most 2 minutes. An
// error means the program could not be run or did not finish.
func RunJava(ctx context.Context, classPath, mainClass string, args ...string) (JavaResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	argv := append([]string{"-Xshare:auto", "-cp", filepath.Clean(classPath), mainClass}, args...)
	cmd := exec.CommandContext(ctx, JavaPath, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	exit, err := runExit(cmd)
	r := JavaResult{Stdout: stdout.String(), Stderr: stderr.String(), Exit: exit}
	if err != nil {
		return r, fmt.Errorf("java %s: %w (stderr: %s)", mainClass, err, stderr.String())
	}
	return r, nil
}
