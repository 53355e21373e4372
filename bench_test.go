package main

// Benchmarks of shim's start-up work, for `go test -bench . -benchmem` and
// benchstat (bench/run runs them with -count 10; CI runs them once with
// -benchtime=1x only to keep them compiling). Nothing here judges a time.
//
// BenchmarkOpenReadClose is the yardstick: the kernel's own price of one
// small secret file. BenchmarkResolveFiles at N secrets, divided by N, should
// stay close to it; BenchmarkResolve (files in memory) is everything shim
// adds on top.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// benchSecret is a 32-character secret and its newline, as
// `openssl rand -base64 24` writes it.
const benchSecret = "W6GEAeTZajnqFRtfRXU4Kgq4x21sOhPy\n"

// benchRequest is a run with the defaults, as when no SHIM_* is set.
func benchRequest(environ, args []string) request {
	return request{environ: environ, args: args, Rules: defaultSettings().Rules, maxEntry: 131072}
}

// benchBase is a container's usual environment before the secrets.
var benchBase = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOSTNAME=3f4e5d6c7b8a",
	"HOME=/root",
}

// benchMemory serves files from memory, so BenchmarkResolve times the
// resolver without the kernel.
type benchMemory map[string][]byte

func (m benchMemory) read(path string, limit int, _ bool) ([]byte, error) {
	b, ok := m[path]
	if !ok {
		return nil, &os.PathError{Op: "open", Path: path, Err: os.ErrNotExist}
	}
	return b[:min(len(b), limit+1)], nil
}

func (m benchMemory) list(string) ([]string, [2]uint64, error) { return nil, [2]uint64{}, nil }

// benchEnviron is the base environment and n SECRET_i_FILE variables pointing
// into dir.
func benchEnviron(dir string, n int) []string {
	environ := append([]string(nil), benchBase...)
	for i := 1; i <= n; i++ {
		environ = append(environ, fmt.Sprintf("SECRET_%05d_FILE=%s/secret_%05d", i, dir, i))
	}
	return environ
}

var benchSizes = []int{1, 100, 10000}

// benchFileSizes stop at 1000 real files: 10,000 take seconds to create and
// remove, which CI's single run (-benchtime=1x) should not pay.
var benchFileSizes = []int{1, 100, 1000}

func BenchmarkResolve(b *testing.B) {
	const dir = "/run/secrets"
	for _, n := range benchSizes {
		// set up once: b.Run calls the function again for each b.N it tries
		files := benchMemory{}
		for i := 1; i <= n; i++ {
			files[fmt.Sprintf("%s/secret_%05d", dir, i)] = []byte(benchSecret)
		}
		environ := benchEnviron(dir, n)
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			args := []string{"/bin/true"}
			b.ReportAllocs()
			for range b.N {
				if _, err := resolve(benchRequest(environ, args), files); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/secret")
		})
	}
}

// BenchmarkResolveFiles reads real files through osFiles, the source main
// uses: the resolver's cost plus the kernel's. A new osFiles per run, as
// each start of shim has.
func BenchmarkResolveFiles(b *testing.B) {
	for _, n := range benchFileSizes {
		dir := b.TempDir()
		for i := 1; i <= n; i++ {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("secret_%05d", i)), []byte(benchSecret), 0o600); err != nil {
				b.Fatal(err)
			}
		}
		environ := benchEnviron(dir, n)
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			args := []string{"/bin/true"}
			b.ReportAllocs()
			for range b.N {
				src := &osFiles{}
				if _, err := resolve(benchRequest(environ, args), src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/secret")
		})
	}
}

// BenchmarkResolveURLs assembles DATABASE_URL and REDIS_URL from parts, two
// of them read from files, and expands them in the arguments, as the README's
// Compose example does.
func BenchmarkResolveURLs(b *testing.B) {
	files := benchMemory{
		"/run/secrets/postgres_password": []byte("p@ss:w/rd with spaces\n"),
		"/run/secrets/redis_password":    []byte(benchSecret),
	}
	environ := append(append([]string(nil), benchBase...),
		"POSTGRES_USER=app", "POSTGRES_DB=app", "DATABASE_HOST=db", "DATABASE_PARAMS=sslmode=disable",
		"REDIS_HOST=cache",
		"POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password",
		"REDIS_PASSWORD_FILE=/run/secrets/redis_password",
	)
	args := []string{"/app/server", "--db", "${DATABASE_URL}", "--cache", "${REDIS_URL}", "--requirepass", "${REDIS_PASSWORD}"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := resolve(benchRequest(environ, args), files)
		if err != nil {
			b.Fatal(err)
		}
		if res.args[2] == args[2] {
			b.Fatal("DATABASE_URL not expanded")
		}
	}
}

// BenchmarkExpandArg is the argument expansion alone: a typical redis
// command line with a reference, a default and an escaped literal.
func BenchmarkExpandArg(b *testing.B) {
	vars := map[string]string{"REDIS_PASSWORD": "W6GEAeTZajnqFRtfRXU4Kgq4x21sOhPy"}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	args := []string{"redis-server", "--requirepass", "${REDIS_PASSWORD}", "--port", "${REDIS_PORT:-6379}", "--notify", "$${literal}"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, a := range args {
			if _, _, err := expandArg(a, lookup); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkOpenReadClose is the kernel's cost of one small secret, with no
// Go allocation: open, one read, close. It is the floor for the marginal
// cost of a secret in shim. files=1 opens the same file each time (every
// cache warm); files=1000 walks 1000 files as shim does; eof adds the second
// read that sees end of file, as a reader that does not trust a short read
// must.
func BenchmarkOpenReadClose(b *testing.B) {
	for _, c := range []struct {
		files int
		eof   bool
	}{{1, false}, {1000, false}, {1000, true}} {
		dir := b.TempDir()
		paths := make([]string, c.files)
		for i := range paths {
			paths[i] = filepath.Join(dir, fmt.Sprintf("secret_%05d", i))
			if err := os.WriteFile(paths[i], []byte(benchSecret), 0o600); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("files=%d/eof=%v", c.files, c.eof), func(b *testing.B) {
			var buf [64]byte
			b.ReportAllocs()
			for i := range b.N {
				fd, err := unix.Open(paths[i%len(paths)], unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := unix.Read(fd, buf[:]); err != nil || n != len(benchSecret) {
					b.Fatal(n, err)
				}
				if c.eof {
					if n, err := unix.Read(fd, buf[:]); err != nil || n != 0 {
						b.Fatal(n, err)
					}
				}
				unix.Close(fd)
			}
		})
	}
}
