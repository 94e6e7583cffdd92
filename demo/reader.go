package demo

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/jukinet/jukinet/biometric"
)

// ReaderNoise is the bit error rate of the 仮想リーダー's login readings: a
// typical genuine reading (well inside what the biometric code corrects).
const ReaderNoise = 0.1

// enrolPath is the admin console's enrolment forms: their readings are
// taken noise-free, as a careful enrolment is (a re-enrolment also reads
// the operator's current finger, a replacement the second operator's).
var enrolPath = regexp.MustCompile(`^/admin/operators/([^/]+)/(enroll|renew|reenroll|replace)$`)

// maxForm bounds the form the 仮想リーダー reads before the terminal does.
const maxForm = 64 << 10

// VirtualReader puts the demo's 仮想リーダー in front of a terminal's
// handler (web.New with Demo set): it plays the reader agent
// (docs/reader.md) of every terminal, with the synthetic fingers of reader.
// The login page's POST /login/reader becomes the agent's POST
// /login/reading with a reading of the 照合ID's finger, and an enrolment
// form without a reading gets one. A deployed node has no such route.
func VirtualReader(h http.Handler, reader *biometric.SyntheticReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		var id, action string
		noise := ReaderNoise
		switch m := enrolPath.FindStringSubmatch(r.URL.Path); {
		case r.URL.Path == "/login/reader":
		case m != nil:
			id, action, noise = m[1], m[2], 0
		default:
			h.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "フォームを読み取れません", http.StatusBadRequest)
			return
		}
		form := url.Values{}
		for k, v := range r.PostForm {
			form[k] = v
		}
		if id == "" {
			id = strings.TrimSpace(form.Get("collation_id"))
		}
		if form.Get("reading") == "" {
			reading := reader.Genuine(id, noise)
			form.Set("reading", hex.EncodeToString(reading[:]))
		}
		if action == "reenroll" && form.Get("current_reading") == "" {
			reading := reader.Genuine(id, 0)
			form.Set("current_reading", hex.EncodeToString(reading[:]))
		}
		if second := strings.TrimSpace(form.Get("second_collation_id")); action == "replace" && second != "" && form.Get("second_reading") == "" {
			reading := reader.Genuine(second, 0)
			form.Set("second_reading", hex.EncodeToString(reading[:]))
		}
		r2 := r.Clone(r.Context())
		if r.URL.Path == "/login/reader" {
			r2.URL.Path, r2.URL.RawPath = "/login/reading", ""
		}
		body := form.Encode()
		r2.Body, r2.ContentLength = readCloser{strings.NewReader(body)}, int64(len(body))
		r2.PostForm, r2.Form = nil, nil
		h.ServeHTTP(w, r2)
	})
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
