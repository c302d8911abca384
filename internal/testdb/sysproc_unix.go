//go:build unix && !linux

package testdb

import "syscall"

// sysProcAttr runs a cluster process as r (nil: the current user).
func sysProcAttr(r *runAs) *syscall.SysProcAttr {
	if r == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: r.groups}}
}
