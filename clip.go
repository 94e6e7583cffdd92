package jukinet

import "unicode/utf8"

// Clip returns s cut to at most maxBytes bytes at a character boundary. Log
// details and stored error texts are bounded in bytes; a cut inside a
// multi-byte character would leave invalid UTF-8, which PostgreSQL refuses
// in a text column — the record carrying a refusal would then be lost.
func Clip(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	if maxBytes <= 0 {
		return ""
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
