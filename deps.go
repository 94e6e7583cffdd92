//go:build tools

package jukinet

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/chromedp/chromedp"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/transparency-dev/merkle"
	_ "golang.org/x/mod/sumdb/note"
	_ "golang.org/x/term"
	_ "golang.org/x/text/encoding/japanese"
	_ "golang.org/x/text/width"
	_ "modernc.org/sqlite"
)
