package s3test

import "syscall"

// sysProcAttr makes the gateway die with the process that started it, even
// when a test binary is killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
