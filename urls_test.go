package main

import (
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os/exec"
	"strings"
	"testing"
)

// TestURLsDecodeAlike builds DATABASE_URL and REDIS_URL for awkward
// passwords and decodes them the way the clients do: Go's net/url (go-redis,
// pgx) and Python's urllib.parse (redis-py's from_url uses unquote;
// form-style decoders use unquote_plus). Every decoder must give back the
// password exactly.
func TestURLsDecodeAlike(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	passwords := []string{"p/+=@:% x", "ab+c/d==", "a b+c", "%41%", "#?&;,$!'()*", "ü€ 😀", "\\\"'`", "\x01\x7f\t"}
	var urls []string
	for _, pw := range passwords {
		env := []string{"REDIS_HOST=redis", "REDIS_USERNAME=u+=/", "REDIS_PASSWORD=" + pw, "PGHOST=db", "PGUSER=u+=/", "PGPASSWORD=" + pw}
		res, err := resolve(request{environ: env, args: []string{"cmd"}, Rules: defaults().Rules, maxEntry: 131072}, fakeFiles{})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(res.env)
		for _, name := range []string{"DATABASE_URL", "REDIS_URL"} {
			raw, _ := e.get(name)
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("Go cannot parse %s for %q: %v", name, pw, err)
			}
			if got, _ := u.User.Password(); got != pw || u.User.Username() != "u+=/" {
				t.Errorf("Go decodes %s to %q:%q, want u+=/:%q", name, u.User.Username(), got, pw)
			}
			urls = append(urls, raw)
		}
	}

	script := `
import json, sys
from urllib.parse import urlparse, unquote, unquote_plus
out = []
for raw in json.load(sys.stdin):
    u = urlparse(raw)
    out.append([unquote(u.username).encode().hex(), unquote(u.password).encode().hex(), unquote_plus(u.password).encode().hex()])
json.dump(out, sys.stdout)
`
	input, _ := json.Marshal(urls)
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = strings.NewReader(string(input))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var decoded [][3]string
	if err := json.Unmarshal(out, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != len(urls) {
		t.Fatalf("python decoded %d URLs, want %d", len(decoded), len(urls))
	}
	for i, d := range decoded {
		pw := passwords[i/2]
		want := hex.EncodeToString([]byte(pw))
		if d[0] != hex.EncodeToString([]byte("u+=/")) || d[1] != want || d[2] != want {
			t.Errorf("python decodes %s to user %s, password %s (unquote) and %s (unquote_plus); want %s", urls[i], d[0], d[1], d[2], want)
		}
	}
}
