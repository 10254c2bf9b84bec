//go:build !linux

package fsstore

import (
	"io/fs"
	"time"
)

func created(fi fs.FileInfo) time.Time { return fi.ModTime() }
