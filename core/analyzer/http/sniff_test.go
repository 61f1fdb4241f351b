package http

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
)

func TestSniffMIME(t *testing.T) {
	cases := map[string]string{
		"":                                   "",
		"short":                              "",
		"plain text body\n":                  "text/plain",
		"\xef\xbb\xbfplain text with a BOM":  "text/plain",
		"<!DOCTYPE html><html>":              "text/html",
		"  \r\n<!-- c --> <HTML lang=en>":    "text/html",
		"<?xml version=\"1.0\"?>\n<html>":    "text/html",
		"<?xml version=\"1.0\"?>\n<note/>":   "application/xml",
		"<head><title>x</title></head>":      "text/html",
		"<rss version=\"2.0\">":              "text/rss",
		"<rss xmlns:atom=\"x\">":             "text/atom",
		"{\"key\": \"value\"}":               "text/json",
		"{ key: 12 }":                        "text/json",
		"[1, 2, 3]":                          "text/json",
		"[{\"a\":1}]":                        "text/json",
		"{}   ":                              "text/json",
		"{\"unterminated":                    "text/plain",
		"GIF89a\x01\x00\x01\x00":             "image/gif",
		"\x89PNG\r\n\x1a\n\x00\x00":          "image/png",
		"\xff\xd8\xff\xe0\x00\x10JFIF":       "image/jpeg",
		"%PDF-1.7\n%\xe2\xe3":                "application/pdf",
		"PK\x03\x04\x14\x00\x00\x00":         "application/zip",
		"\x1f\x8b\x08\x00\x00\x00":           "application/x-gzip",
		"MZ\x90\x00\x03\x00\x00\x00\x04\x00": "application/x-dosexec",
		"#!/bin/sh\necho hi\n":               "text/x-shellscript",
		"#!/usr/bin/env python3\nprint()":    "text/x-python",
		"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00": "application/x-executable",
		"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a":                         "",
	}
	for in, want := range cases {
		if got := sniffMIME([]byte(in)); got != want {
			t.Errorf("sniffMIME(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	cases := []struct {
		orig bool
		in   string
		want analyzer.Verdict
	}{
		{true, "", analyzer.NeedMore},
		{true, "GE", analyzer.NeedMore},
		{true, "GET ", analyzer.NeedMore},
		{true, "GET /index.html HT", analyzer.NeedMore},
		{true, "GET /index.html HTTP/1.1\r\n", analyzer.Match},
		{true, "POST /x http/1.0\r\n", analyzer.Match},
		{true, "PROPFIND /x HTTP/1.1\r\n", analyzer.Match},
		{true, "GET /zeek.html\n", analyzer.Match},
		{true, "POST /zeek.html\n", analyzer.NoMatch},
		{true, "GET /x SSH/2.0\r\n", analyzer.NoMatch},
		{true, "FOO /x HTTP/1.1\r\n", analyzer.NoMatch},
		{true, "get /x HTTP/1.1\r\n", analyzer.NoMatch},
		{true, "\x16\x03\x01", analyzer.NoMatch},
		{true, "SSH-2.0-OpenSSH", analyzer.NoMatch},
		{false, "HTTP/1.1 200 OK\r\n", analyzer.Match},
		{false, "HTTP/1.", analyzer.NeedMore},
		{false, "HTTP/1.1 2", analyzer.NeedMore},
		{false, "HTTP/x.1 200", analyzer.NoMatch},
		{false, "SSH-2.0-OpenSSH_9.2", analyzer.NoMatch},
		{false, "<html>", analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.orig, []byte(c.in)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.orig, c.in, got, c.want)
		}
	}
}
