package governance_test

import "io"

var errEOF = io.EOF
