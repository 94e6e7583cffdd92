package jukinet

import (
	"regexp"
	"testing"
)

var japaneseChars = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)

// TestEveryOperationHasAJapaneseName: every operation of the policy table
// has a Japanese name, names are distinct, the table names no operation the
// policy table lacks, and an unknown code shows as itself.
func TestEveryOperationHasAJapaneseName(t *testing.T) {
	seen := map[string]Operation{}
	for _, op := range Operations() {
		ja, ok := operationJapanese[op]
		if !ok || !japaneseChars.MatchString(ja) {
			t.Errorf("operation %s has no Japanese name (%q)", op, ja)
		}
		if other, dup := seen[ja]; dup {
			t.Errorf("%s and %s share the name %s", op, other, ja)
		}
		seen[ja] = op
		if op.Japanese() != ja {
			t.Errorf("%s.Japanese() = %q, want %q", op, op.Japanese(), ja)
		}
	}
	for op := range operationJapanese {
		if _, ok := policyTable[op]; !ok {
			t.Errorf("operationJapanese names %s, which the policy table lacks", op)
		}
	}
	if got := Operation("no.such_op").Japanese(); got != "no.such_op" {
		t.Errorf("an unknown operation shows %q, want its code", got)
	}
}
