package jukinet

import (
	"errors"
	"testing"
)

// A FieldErrors keeps every field error and answers ErrorKind, ErrorField
// and the Japanese message as its first error does; wrapped by E it is
// still found.
func TestFieldErrors(t *testing.T) {
	var fe FieldErrors
	if fe.Err() != nil {
		t.Fatalf("empty FieldErrors: Err() = %v, want nil", fe.Err())
	}
	fe.Add(nil)
	fe.Add(Errorf("x", KindInvalid, "birth_date", "is in the future"))
	one := fe.Err()
	if _, ok := one.(*Error); !ok || ErrorField(one) != "birth_date" {
		t.Fatalf("one error: Err() = %#v, want the *Error itself", one)
	}
	fe.Add(Errorf("x", KindInvalid, "sex", "must be male or female"))
	fe.Add(errors.New("plain"))
	fe.Add(FieldErrors{Errorf("x", KindInvalid, "title", "required")})
	err := E("web.form", fe.Err())
	if ErrorKind(err) != KindInvalid || ErrorField(err) != "birth_date" {
		t.Errorf("wrapped: kind %s field %q, want invalid birth_date", ErrorKind(err), ErrorField(err))
	}
	if je := err; je.Kind != KindInvalid || je.Field != "" {
		t.Errorf("E over FieldErrors: kind %s field %q, want invalid and no single field", je.Kind, je.Field)
	}
	all := AllFieldErrors(err)
	if len(all) != 4 || all[1].Field != "sex" || all[3].Field != "title" {
		t.Fatalf("AllFieldErrors: %v, want 4 errors in order", all)
	}
	if got := JapaneseMessage(all[1]); got != "男または女を選択してください。" {
		t.Errorf("second error in Japanese: %q", got)
	}
	if AllFieldErrors(E("x", KindConflict, "no field")) != nil || AllFieldErrors(nil) != nil {
		t.Errorf("AllFieldErrors of an error naming no field is not empty")
	}
	if got := AllFieldErrors(Errorf("x", KindInvalid, "f", "required")); len(got) != 1 || got[0].Field != "f" {
		t.Errorf("AllFieldErrors of one error: %v", got)
	}
}
