package bench

import (
	"encoding/json"
	"fmt"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
)

// scalePeople makes n synthetic persons of the national server, person i
// with the i-th smallest resident code (spread over the whole code space,
// so that codes are as far apart as a country's), living in one of the demo
// cities; names and addresses come from a small demo population.
type scalePeople struct {
	n      int
	stride uint64
	tmpl   [][]jukinet.IdentityInfo // per city
	sig    network.BatchSignature
}

// residentCodeSpace is the number of 10-digit resident-code bodies.
const residentCodeSpace = 10_000_000_000

func newScalePeople(n int) (*scalePeople, error) {
	g := &scalePeople{n: n, stride: residentCodeSpace / uint64(max(n, 1))}
	for k, c := range []demo.City{demo.Hofu, demo.Yamaguchi, demo.Kurume} {
		rows, err := demo.Population(c, 500, uint64(k+1), demo.Today())
		if err != nil {
			return nil, err
		}
		var t []jukinet.IdentityInfo
		for _, p := range rows {
			t = append(t, jukinet.IdentityInfo{Municipality: c.Code, Name: p.Name, BirthDate: p.BirthDate, Sex: p.Sex,
				Address: jukinet.Address{LGCode: c.Code, Text: p.AddressText}})
		}
		g.tmpl = append(g.tmpl, t)
	}
	// The shape of a transport signature; see scaleUpdates.
	g.sig = network.BatchSignature{BatchSize: 1, Root: make([]byte, 32), Signature: make([]byte, 64)}
	return g, nil
}

// code returns person i's resident code: a 10-digit body that grows with i,
// and its check digit.
func (g *scalePeople) code(i int) string {
	body := uint64(i)*g.stride + (uint64(i)*2654435761)%g.stride
	s := fmt.Sprintf("%010d", body)
	for d := byte('0'); d <= '9'; d++ {
		if c := s + string(d); jukinet.ValidResidentCode(c) {
			return c
		}
	}
	panic("bench: no check digit for a resident code")
}

// person returns version v of person i's identity information.
func (g *scalePeople) person(i int, v uint64) jukinet.IdentityInfo {
	t := g.tmpl[i%len(g.tmpl)]
	info := t[(i/len(g.tmpl))%len(t)]
	info.ResidentCode = jukinet.ResidentCode(g.code(i))
	info.Version = v
	info.Change = jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: demo.Today()}
	if v > 1 {
		info.Change.Reason = jukinet.ReasonMoveWithin
	}
	return info
}

// relayed returns info as the national server receives it: the
// municipality's identity.notify inside its prefecture's identity.relay.
func (g *scalePeople) relayed(info jukinet.IdentityInfo) (*network.Envelope, error) {
	body, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	m := string(info.Municipality)
	pref := string(info.Municipality.PrefectureCode())
	inner, err := network.NewEnvelope(network.KindIdentityNotify, m, pref, demo.Today().Time().UnixMicro(), body)
	if err != nil {
		return nil, err
	}
	inner.OrderingKey, inner.Version = info.OrderingKey(), info.Version
	inner.Sig = g.sig
	inner.Sig.Signer = m
	raw, err := network.EncodeEnvelope(inner)
	if err != nil {
		return nil, err
	}
	outer, err := network.NewEnvelope(network.KindIdentityRelay, pref, network.NationalID, inner.CreatedAt, raw)
	if err != nil {
		return nil, err
	}
	outer.OrderingKey, outer.Version = inner.OrderingKey, inner.Version
	return outer, nil
}
