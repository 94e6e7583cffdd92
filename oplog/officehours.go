package oplog

import (
	"time"

	"github.com/jukinet/jukinet"
)

// OfficeHours reports whether t is within office hours: 9:00–17:00 JST on a
// day the administrative organs are open (jukinet.Date.GovernmentClosed:
// weekends, public holidays and the year-end closure 12/29–1/3).
func OfficeHours(t time.Time) bool {
	t = t.In(jukinet.JST)
	if jukinet.DateOf(t).GovernmentClosed() {
		return false
	}
	h := t.Hour()
	return h >= 9 && h < 17
}
