//go:build unix

package testdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// dirPrefix prefixes the temporary directory of a throwaway cluster; the
// creating process's pid follows it, so that directories left behind by a
// killed test process can be recognised and removed.
const dirPrefix = "cgtestpg-"

// startTimeout bounds how long we wait for a started cluster to accept
// connections.
const startTimeout = 30 * time.Second

type cluster struct {
	desc string          // for the log: version, directory, start time
	dir  string          // temporary directory: data/, socket, log
	url  string          // admin URL (database "postgres")
	proc *os.Process     // the postmaster
	done <-chan struct{} // closed when the postmaster has exited
}

var (
	clusterOnce sync.Once
	clusterMu   sync.Mutex
	theCluster  *cluster
	clusterErr  error
)

// clusterURL starts the throwaway cluster on first use and returns its admin
// URL, and, to the call that started it, a description of it.
func clusterURL() (url, started string, err error) {
	clusterOnce.Do(func() {
		c, err := startCluster()
		clusterMu.Lock()
		theCluster, clusterErr = c, err
		clusterMu.Unlock()
		if c != nil {
			started = c.desc
		}
	})
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterErr != nil {
		return "", "", clusterErr
	}
	if theCluster == nil {
		return "", "", errors.New("throwaway PostgreSQL cluster already stopped")
	}
	return theCluster.url, started, nil
}

// stopCluster stops the throwaway cluster, if one was started, and removes
// its directory.
func stopCluster() {
	clusterMu.Lock()
	c := theCluster
	theCluster = nil
	clusterMu.Unlock()
	if c != nil {
		c.stop()
	}
}

// stop stops the postmaster and removes the cluster directory.
func (c *cluster) stop() {
	c.stopPostmaster()
	_ = os.RemoveAll(c.dir)
}

// stopPostmaster stops the postmaster with SIGQUIT, PostgreSQL's "immediate
// shutdown" (no checkpoint: the data is thrown away anyway), and waits for it
// to exit; it is killed if it has not exited within 10 s.
func (c *cluster) stopPostmaster() {
	_ = c.proc.Signal(syscall.SIGQUIT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.proc.Kill()
		<-c.done
	}
}

// pgBin is a directory holding the PostgreSQL server binaries.
type pgBin struct {
	dir     string
	version []int
}

// findServerBinaries returns the directory of the highest PostgreSQL version
// that has initdb and postgres, looking on PATH and under
// /usr/lib/postgresql/*/bin.
func findServerBinaries() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, globbed...)

	seen := map[string]bool{}
	var bins []pgBin
	for _, d := range dirs {
		if seen[d] {
			continue
		}
		seen[d] = true
		if !isExecutable(filepath.Join(d, "initdb")) || !isExecutable(filepath.Join(d, "postgres")) {
			continue
		}
		v, err := serverVersion(filepath.Join(d, "postgres"))
		if err != nil {
			continue
		}
		bins = append(bins, pgBin{dir: d, version: v})
	}
	if len(bins) == 0 {
		return "", errors.New("no PostgreSQL server binaries (initdb and postgres) on PATH or under /usr/lib/postgresql/*/bin")
	}
	sort.SliceStable(bins, func(i, j int) bool { return versionLess(bins[j].version, bins[i].version) })
	return bins[0].dir, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

var versionRE = regexp.MustCompile(`(\d+)(?:\.(\d+))?`)

// serverVersion runs "postgres --version" ("postgres (PostgreSQL) 15.4 ...").
func serverVersion(postgres string) ([]int, error) {
	out, err := exec.Command(postgres, "--version").Output()
	if err != nil {
		return nil, err
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return nil, fmt.Errorf("unexpected %q", out)
	}
	var v []int
	for _, s := range m[1:] {
		n, _ := strconv.Atoi(s)
		v = append(v, n)
	}
	return v, nil
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// runAs is the OS user the cluster runs as: nil for the current user, the
// "postgres" user when we are root (initdb and postgres refuse to run as
// root).
type runAs struct {
	uid, gid uint32
	groups   []uint32
	name     string
}

func clusterUser() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to run as root: need an OS user \"postgres\" to run the throwaway cluster as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user postgres: uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user postgres: gid %q: %w", u.Gid, err)
	}
	r := &runAs{uid: uint32(uid), gid: uint32(gid), name: u.Username}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				r.groups = append(r.groups, uint32(n))
			}
		}
	}
	return r, nil
}

func (r *runAs) command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr(r)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if r != nil {
		cmd.Env = append(cmd.Env, "USER="+r.name, "LOGNAME="+r.name, "HOME="+dir)
	}
	return cmd
}

// tempBase returns the directory to create the cluster directory in. When
// the cluster runs as another user every ancestor must be searchable by it.
func tempBase(r *runAs) string {
	base := os.TempDir()
	if r == nil {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

// removeStale removes cluster directories left behind by test processes
// that no longer exist (e.g. killed by a test timeout before Main could stop
// their cluster; the postmaster itself dies with its parent).
func removeStale(base string) {
	matches, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), dirPrefix)
		pidStr, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(m)
		}
	}
}

func startCluster() (*cluster, error) {
	bin, err := findServerBinaries()
	if err != nil {
		return nil, err
	}
	r, err := clusterUser()
	if err != nil {
		return nil, err
	}
	base := tempBase(r)
	removeStale(base)
	dir, err := os.MkdirTemp(base, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	c, err := startClusterIn(bin, dir, r)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	as := ""
	if r != nil {
		as = " as user " + r.name
	}
	c.desc = fmt.Sprintf("started throwaway PostgreSQL cluster (%s) at %s%s in %v", bin, c.url, as, time.Since(t0).Round(time.Millisecond))
	return c, nil
}

func startClusterIn(bin, dir string, r *runAs) (*cluster, error) {
	if r != nil {
		if err := os.Chown(dir, int(r.uid), int(r.gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := r.command(dir, filepath.Join(bin, "initdb"),
		"-D", data, "--auth=trust", "-U", "postgres",
		"--encoding=UTF8", "--no-locale", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", initdb, err, out)
	}

	// The port is picked before postgres binds it, so another process may
	// take it meanwhile: retry with another one.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c, retry, err := startPostmaster(bin, dir, data, port, r)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startPostmaster starts postgres and waits until it accepts connections.
// retry reports that it failed to bind its port.
func startPostmaster(bin, dir, data string, port int, r *runAs) (c *cluster, retry bool, err error) {
	logPath := filepath.Join(dir, fmt.Sprintf("postgres-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, false, err
	}
	defer logFile.Close()

	cmd := r.command(dir, filepath.Join(bin, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(port),
		"-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "synchronous_commit=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=32MB",
		"-c", "logging_collector=off",
		"-c", "log_min_messages=warning",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile

	// Pdeathsig fires when the thread that started the child exits, not the
	// process. Start postgres from a goroutine locked to its thread that
	// lives as long as postgres does, so the signal fires only when the test
	// process itself dies.
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			close(done)
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(done)
		// The thread stays locked: it ends with this goroutine.
	}()
	if err := <-started; err != nil {
		return nil, false, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}

	c = &cluster{
		dir:  dir,
		url:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		proc: cmd.Process,
		done: done,
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		connCtx, connCancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(connCtx, c.url)
		connCancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return c, false, nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			retry = bytes.Contains(log, []byte("could not bind")) || bytes.Contains(log, []byte("already in use"))
			return nil, retry, fmt.Errorf("postgres exited during startup (%v):\n%s", cmd.ProcessState, tail(log, 4000))
		case <-ctx.Done():
			c.stopPostmaster()
			log, _ := os.ReadFile(logPath)
			return nil, false, fmt.Errorf("postgres did not accept connections within %v (last error: %v):\n%s", startTimeout, err, tail(log, 4000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
