package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// echoOff reports whether the terminal behind a pty's master has stopped
// echoing what is typed: kam has turned echo off to read a password.
func echoOff(master *os.File) bool {
	tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	return err == nil && tio.Lflag&unix.ECHO == 0
}
