// Package archtest holds the test that keeps the package map of
// docs/architecture.md true: which kind of code each package is, and what each
// kind may import. It has no code of its own.
package archtest
