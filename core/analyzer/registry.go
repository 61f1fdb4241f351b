package analyzer

import (
	"fmt"
	"sort"
	"sync"
)

// Factory builds an analyzer. Config is the analyzer's TOML table
// (decoded by the factory's Decode into its own config type); nil means
// defaults.
type Factory struct {
	Name string
	// New returns a configured analyzer; decode, if non-nil, fills the
	// analyzer's config struct from TOML (unknown keys are an error).
	New func(decode func(v any) error) (Analyzer, error)
}

// Registry holds factories by name.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Factory
}

// NewRegistry returns an empty registry (tests build their own).
func NewRegistry() *Registry { return &Registry{m: make(map[string]Factory)} }

var defaultRegistry = NewRegistry()

// Register adds f to the default registry. It panics on an empty name or a
// duplicate: both are programming errors caught at start-up.
func Register(f Factory) { defaultRegistry.Register(f) }

// Default returns the default registry.
func Default() *Registry { return defaultRegistry }

// Register adds f.
func (r *Registry) Register(f Factory) {
	if f.Name == "" || f.New == nil {
		panic("analyzer: Register with empty name or nil New")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[f.Name]; dup {
		panic(fmt.Sprintf("analyzer: %q registered twice", f.Name))
	}
	r.m[f.Name] = f
}

// Names lists registered analyzers, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns a factory by name.
func (r *Registry) Get(name string) (Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.m[name]
	return f, ok
}
