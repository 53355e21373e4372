package main

// SHIM_RENDER: config templates filled from the command's environment, so
// that a secret reaches a program that reads it from a file without passing
// through a command line or a disk. Filling is pure; the in-memory file that
// carries the result across execve is made by the function passed in.

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// templates are SHIM_RENDER's NAME=/path/to/template items, the reader of
// the templates and the maker of the files that hand the results on.
type templates struct {
	items      []string
	read       func(path string, limit int, regularOnly bool) ([]byte, error)
	handOn     func(name string, content []byte) (path string, err error)
	entryLimit int
}

// render fills every template with lookup's values; it stops at the first
// problem, which names the template and the line but never a value.
func (t templates) render(lookup func(string) (string, bool), hint func(error) string) ([]rendered, error) {
	var out []rendered
	for _, item := range t.items {
		name, p, _ := strings.Cut(item, "=")
		switch v, _ := lookup(name); {
		case !validName(name) || !strings.HasPrefix(p, "/"):
			return nil, fail("SHIM_RENDER: "+quote(item)+": not NAME=/path/to/template", "separate several with commas")
		case strings.HasPrefix(name, "SHIM_"): // as for SHIM_X_FILE: a nested shim would read it
			return nil, fail("SHIM_RENDER: "+name+": shim reads its settings from the environment only", "set "+name+" itself")
		case v != "":
			return nil, failf("SHIM_RENDER: %s is already set; a rendered file would replace it", name)
		case slices.ContainsFunc(out, func(f rendered) bool { return f.name == name }):
			return nil, failf("SHIM_RENDER: %s is named twice", name)
		}
		origin := "SHIM_RENDER: " + name
		text, err := t.read(p, t.limit(name), true)
		if err != nil {
			return nil, fileError(origin, err, "the template is probably not mounted: compare the service's configs: (Compose, Swarm) or the ConfigMap's items (Kubernetes)")
		}
		content, used, err := fill(text, lookup, hint, t.limit(name))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", origin, quote(p), err)
		}
		path, err := t.handOn(name, content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", origin, err)
		}
		out = append(out, rendered{name: name, path: path, template: p, size: len(content), used: used})
	}
	return out, nil
}

// limit is a secret file's for the same name: templates and secrets follow
// one size rule.
func (t templates) limit(name string) int { return max(t.entryLimit-len(name)-2, 0) }

// fill expands ${NAME} and ${NAME:-word} line by line, with the rules of an
// argument. A value holding a line break would add lines, and directives,
// to a line-based config, so it is refused; byte for byte otherwise. A line
// break is any that Python's str.splitlines breaks at: YAML 1.1 breaks at
// U+0085, U+2028 and U+2029 too.
func fill(text []byte, lookup func(string) (string, bool), hint func(error) string, limit int) ([]byte, []string, error) {
	switch {
	case len(text) > limit:
		return nil, nil, failf("over the limit of %d bytes for a template", limit)
	case bytes.IndexByte(text, 0) >= 0:
		return nil, nil, failf("contains a NUL byte (at offset %d)", bytes.IndexByte(text, 0))
	}
	var out strings.Builder
	var used []string
	for i, line := range strings.SplitAfter(string(text), "\n") {
		filled, names, err := expandArg(line, lookup)
		if err != nil {
			return nil, nil, fail(fmt.Sprintf("line %d: %v", i+1, err), hint(err))
		}
		for _, name := range names {
			if v, _ := lookup(name); strings.ContainsAny(v, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029") {
				return nil, nil, fail(fmt.Sprintf("line %d: %s holds a line break, which would add lines to the file", i+1, name),
					"a value that spans lines belongs in a file the program opens by its path")
			}
			if !slices.Contains(used, name) {
				used = append(used, name)
			}
		}
		out.WriteString(filled)
	}
	if out.Len() > limit {
		return nil, nil, failf("filled, over the limit of %d bytes for a template", limit)
	}
	return []byte(out.String()), used, nil
}
