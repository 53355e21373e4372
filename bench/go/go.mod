module shimbench

// The go line of shim's own go.mod, which bench/run checks: it sets the
// GODEBUG defaults the runtime starts with, and the older 1.21 line once
// cost the Go floor rows about 120k instructions that shim does not pay.
go 1.26.8

require github.com/kelseyhightower/envconfig v1.4.0
