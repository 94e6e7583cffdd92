package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jukinet/jukinet"
)

// runCheck: jukinet check mynumber|resident-code|lgcode VALUE — exit 0 when
// valid, 1 with the reason on stderr when not, 2 on a usage error.
func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 2 {
		return usageErr("jukinet check mynumber|resident-code|lgcode VALUE")
	}
	var canonical string
	var err error
	switch args[0] {
	case "mynumber", "individual-number":
		var n jukinet.IndividualNumber
		n, err = jukinet.ParseIndividualNumber(args[1])
		canonical = n.Masked()
	case "resident-code":
		var c jukinet.ResidentCode
		c, err = jukinet.ParseResidentCode(args[1])
		canonical = c.String()
	case "lgcode":
		var c jukinet.LGCode
		c, err = jukinet.ParseLGCode(args[1])
		canonical = c.String()
	default:
		return usageErr("unknown code type %q: want mynumber, resident-code or lgcode", args[0])
	}
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintf(stdout, "valid %s %s\n", args[0], canonical)
	return nil
}
