package web

import (
	"strings"

	"github.com/jukinet/jukinet"
)

// placeError splits err into a message next to the form input it concerns,
// or a general message above the form. The backend names fields by its own
// structure ("address.text", "person.name.kana", "household.relationship");
// fieldFor maps them onto the form's inputs without a table per form.
//
// Every field in error is placed (jukinet.FieldErrors): the form shows them
// all at once; those that name no input are said above the form.
func placeError(err error, inputs []string) (fieldErrors, string, bool) {
	_, msg, ok := formError(err)
	if !ok {
		return nil, "", false
	}
	all := jukinet.AllFieldErrors(err)
	if len(all) == 0 {
		return nil, msg, true
	}
	fe := fieldErrors{}
	var general []string
	for _, e := range all {
		m := ruleOf(e)
		in, found := fieldFor(e.Field, inputs)
		switch {
		case !found:
			general = append(general, m)
		case fe[in] == "":
			fe[in] = m
		}
	}
	if len(fe) == 0 {
		fe = nil
	}
	return fe, strings.Join(general, " "), true
}

// fieldFor finds the input a backend field name refers to: the same name;
// the name with dots as underscores ("address.text" → "address_text"); the
// same after dropping leading path elements ("person.name.kana" →
// "name.kana"); or, last, the one input whose name ends in the field's last
// element ("household.relationship" → "relationship").
func fieldFor(field string, inputs []string) (string, bool) {
	has := func(name string) bool {
		for _, in := range inputs {
			if in == name {
				return true
			}
		}
		return false
	}
	for f := field; f != ""; {
		for _, cand := range []string{f, strings.ReplaceAll(f, ".", "_")} {
			if has(cand) {
				return cand, true
			}
		}
		_, rest, ok := strings.Cut(f, ".")
		if !ok {
			break
		}
		f = rest
	}
	last := field[strings.LastIndexAny(field, "._")+1:]
	if last == "" {
		return "", false
	}
	match := ""
	for _, in := range inputs {
		if in == last || strings.HasSuffix(in, "."+last) || strings.HasSuffix(in, "_"+last) {
			if match != "" {
				return "", false // ambiguous: show it above the form
			}
			match = in
		}
	}
	return match, match != ""
}

// inputs are the names of ev's form inputs.
func (ev event) inputs() []string {
	out := make([]string, len(ev.Fields))
	for i, f := range ev.Fields {
		out[i] = f.Name
	}
	return out
}
