package event

// HTTP is one HTTP request/response pair: Zeek's http.log record. Owned by core/analyzer/http.
type HTTP struct{}
