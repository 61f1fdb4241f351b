// Package deploy holds the files that run weir as a service: a systemd
// unit and a sensor configuration. It has no code; its test checks the
// configuration loads.
package deploy
