package node

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// ReceivedCertificate is a 転出証明書情報 received and not yet used for a
// 特例転入, with when it arrived.
type ReceivedCertificate struct {
	MoveOutCertificate
	ReceivedAt time.Time
}

// ReceivedCertificates lists the unused 転出証明書情報, logged as part of the
// 特例転入 work (OpSpecialMoveIn): it shows personal data.
func (m *Municipality) ReceivedCertificates(ctx context.Context) ([]ReceivedCertificate, error) {
	var out []ReceivedCertificate
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpSpecialMoveIn, Purpose: "特例転入の受付", Detail: "list received move-out certificates"}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT body, received_at FROM flow_moveout_certificates WHERE used_at = 0 AND lapsed_at = 0 ORDER BY received_at DESC LIMIT 200`)
		if err != nil {
			return jukinet.E("node.ReceivedCertificates", jukinet.KindInternal, err)
		}
		defer rows.Close()
		for rows.Next() {
			var body string
			var at int64
			if err := rows.Scan(&body, &at); err != nil {
				return jukinet.E("node.ReceivedCertificates", jukinet.KindInternal, err)
			}
			var c ReceivedCertificate
			if err := json.Unmarshal([]byte(body), &c.MoveOutCertificate); err != nil {
				return jukinet.E("node.ReceivedCertificates", jukinet.KindInternal, err)
			}
			c.ReceivedAt = time.UnixMicro(at)
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return jukinet.E("node.ReceivedCertificates", jukinet.KindInternal, err)
		}
		tx.SetDetail(fmt.Sprintf("list received move-out certificates: %d", len(out)))
		for _, c := range out {
			tx.Shown(string(c.ResidentCode), "name,birth_date,address,resident_code", false) // G11.2: each person listed
		}
		return nil
	})
	return out, err
}
