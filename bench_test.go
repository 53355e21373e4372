package main

// Start-up work, for benchstat (bench/run: -count 10; CI: -benchtime=1x, to
// keep them running); nothing here judges a time. BenchmarkResolve is what
// shim adds to the kernel's work; BenchmarkResolveFiles reads real files.

import (
	"fmt"
	"testing"
)

// benchSecret is a 32-character secret and its newline, as
// `openssl rand -base64 24` writes it.
const benchSecret = "W6GEAeTZajnqFRtfRXU4Kgq4x21sOhPy\n"

// benchResolve resolves n SECRET_i_FILE variables into dir in a container's
// usual environment, a new source per run as per start; time per secret.
func benchResolve(b *testing.B, dir string, n int, newSource func() fileSource) {
	environ := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=3f4e5d6c7b8a", "HOME=/root"}
	for i := 1; i <= n; i++ {
		environ = append(environ, fmt.Sprintf("SECRET_%05d_FILE=%s/secret_%05d", i, dir, i))
	}
	req := request{environ: environ, args: []string{"/bin/true"}, Rules: defaultSettings().Rules, entryLimit: 131072}
	b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if res, err := resolve(req, newSource()); err != nil || len(res.env) != n+3 {
				b.Fatal(err, len(res.env))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/secret")
	})
}

// benchMemory serves files from memory without a copy: the resolver alone.
type benchMemory map[string][]byte

func (m benchMemory) read(p string, limit int, _ bool) ([]byte, error) {
	return m[p][:min(len(m[p]), limit+1)], nil
}

func (m benchMemory) list(string) ([]string, [2]uint64, error) { return nil, [2]uint64{}, nil }

func BenchmarkResolve(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		files := benchMemory{}
		for i := 1; i <= n; i++ {
			files[fmt.Sprintf("/run/secrets/secret_%05d", i)] = []byte(benchSecret)
		}
		benchResolve(b, "/run/secrets", n, func() fileSource { return files })
	}
}

// BenchmarkResolveFiles stops at 1000 real files: 10,000 take seconds to
// create and remove, which CI's single run should not pay.
func BenchmarkResolveFiles(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		dir := b.TempDir()
		for i := 1; i <= n; i++ {
			writeSecret(b, dir, fmt.Sprintf("secret_%05d", i), benchSecret, 0o600)
		}
		benchResolve(b, dir, n, func() fileSource { return &osFiles{} })
	}
}
