package register

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// NumberRequest is a pending 個人番号の指定請求: the mynumber.request sent to
// the national server whose answer (mynumber.response) has not designated a
// number yet. It carries no number.
type NumberRequest struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Reason       jukinet.ChangeReason `json:"reason"`
	Date         jukinet.Date         `json:"date"`         // the request's date (請求日)
	RequestedAt  time.Time            `json:"requested_at"` // when the message was queued
	MessageID    string               `json:"message_id"`   // the outbox message, to trace it in the network status
}

// recordNumberRequest queues the mynumber.request with its own ID and keeps
// it as pending; a newer request for the same person replaces the older.
func recordNumberRequest(tx *store.Tx, m store.Message, req MyNumberRequest) error {
	if m.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		m.ID = id.String()
	}
	tx.Send(m)
	_, err := tx.Exec(`INSERT INTO number_requests (resident_code, reason, request_date, requested_at, message_id) VALUES ($1,$2,$3,$4,$5)
 ON CONFLICT (resident_code) DO UPDATE SET reason = excluded.reason, request_date = excluded.request_date,
 requested_at = excluded.requested_at, message_id = excluded.message_id`,
		string(req.ResidentCode), int(req.Reason), dateText(req.Date), tx.NowMicro(), m.ID)
	return err
}

// clearNumberRequest forgets the pending request of code once its number is
// designated.
func clearNumberRequest(tx *store.Tx, code jukinet.ResidentCode) error {
	_, err := tx.Exec(`DELETE FROM number_requests WHERE resident_code = $1`, string(code))
	return err
}

// PendingNumberRequestTx returns the pending request of code, read inside tx,
// or nil when there is none.
func (g *Register) PendingNumberRequestTx(tx *store.Tx, code jukinet.ResidentCode) (*NumberRequest, error) {
	const op = "register.PendingNumberRequest"
	var reason, at int64
	var d, id string
	err := tx.QueryRow(`SELECT reason, request_date, requested_at, message_id FROM number_requests WHERE resident_code = $1`, string(code)).
		Scan(&reason, &d, &at, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	date, err := jukinet.ParseDate("request_date", d)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return &NumberRequest{ResidentCode: code, Reason: jukinet.ChangeReason(reason), Date: date,
		RequestedAt: time.UnixMicro(at).In(jukinet.JST), MessageID: id}, nil
}

// PendingNumberRequest returns the pending 個人番号の指定請求 of a resident,
// or nil when none is waiting. It is read with a purpose and logged like any
// read of a person's data (G11.2). Errors: KindInvalid for a malformed code.
func (g *Register) PendingNumberRequest(ctx context.Context, code jukinet.ResidentCode, purpose string) (*NumberRequest, error) {
	const op = "register.PendingNumberRequest"
	if _, err := jukinet.ParseResidentCode(string(code)); err != nil {
		return nil, jukinet.E(op, err)
	}
	var out *NumberRequest
	err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentRead, Subject: string(code), Purpose: purpose}, func(tx *store.Tx) error {
		var err error
		out, err = g.PendingNumberRequestTx(tx, code)
		return err
	})
	return out, err
}
