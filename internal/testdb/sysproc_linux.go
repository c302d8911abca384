package testdb

import "syscall"

// sysProcAttr runs a cluster process as r (nil: the current user) and has
// the kernel kill it if the test process dies without stopping it.
func sysProcAttr(r *runAs) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if r != nil {
		a.Credential = &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: r.groups}
	}
	return a
}
