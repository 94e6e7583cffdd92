package biometric

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

func TestChosenCodeMeetsTargets(t *testing.T) {
	// The targets, from the analytic bounds of DefaultParams.
	if got := RejectBound(0.20); got > 0.005 {
		t.Errorf("RejectBound(0.20) = %.3g; want ≤ 0.005", got)
	}
	for _, p := range []float64{0.40, 0.45, 0.50} {
		if got := AcceptBound(p); got > 1e-6 {
			t.Errorf("AcceptBound(%.2f) = %.3g; want ≤ 1e-6", p, got)
		}
	}
}

func TestBinomialHelpers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"P(Bin(4,.5) ≥ 3)", binomialTail(4, 3, 0.5), 5.0 / 16},
		{"P(Bin(4,.5) ≤ 1)", binomialCDF(4, 1, 0.5), 5.0 / 16},
		{"P(Bin(10,.2) ≥ 0)", binomialTail(10, 0, 0.2), 1},
		{"P(Bin(3,0) ≤ 0)", binomialCDF(3, 0, 0), 1},
		{"P(Bin(3,1) ≥ 3)", binomialTail(3, 3, 1), 1},
		{"P(Bin(64,.4) ≤ 21) + P(Bin(64,.4) ≥ 22)", binomialCDF(64, 21, 0.4) + binomialTail(64, 22, 0.4), 1},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
}

func TestBoundsHoldEmpirically(t *testing.T) {
	// Per-block rates sampled from the inner decoder must not exceed the
	// bounds that RejectBound and AcceptBound are built from.
	reader := NewSyntheticReader(5, 0)
	const blocks = 20000
	for _, p := range []float64{0.2, 0.3, 0.4} {
		wrong, erased, correct := 0, 0, 0
		for i := 0; i < blocks; i += innerBlocks {
			r := reader.Genuine("alice", p)
			tpl := reader.Template("alice")
			for b := range innerBlocks {
				w := binaryWord(&r, b) ^ binaryWord(&tpl, b) // the error pattern of the block
				sym, ok := hadamardDecode(w, erasureThreshold)
				switch {
				case !ok:
					erased++
				case sym != 0:
					wrong++
				default:
					correct++
				}
			}
		}
		n := float64(wrong + erased + correct)
		wrongBound := (1<<(innerOrder+1)-2)*binomialTail(32, 16, p) + binomialTail(64, 32, p)
		slack := func(bound float64) float64 { return bound + 4*math.Sqrt(bound*(1-bound)/n) + 1/n }
		if got := float64(wrong) / n; got > slack(min(wrongBound, 1)) {
			t.Errorf("p=%.2f: wrong-block rate %.4f exceeds its bound %.4f", p, got, wrongBound)
		}
		if got, bound := float64(correct)/n, binomialCDF(64, maxCorrectBitErrors, p); got > slack(bound) {
			t.Errorf("p=%.2f: correct-block rate %.4f exceeds its bound %.4f", p, got, bound)
		}
	}
}

// binaryWord returns bits 64b…64b+63 of r.
func binaryWord(r *Reading, b int) uint64 {
	var w uint64
	for i := range 8 {
		w |= uint64(r[8*b+i]) << (8 * i)
	}
	return w
}

func TestMeasureAccuracySmall(t *testing.T) {
	rep, err := MeasureAccuracy(context.Background(), AccuracyConfig{
		Seed: 1, Persons: 4, GenuineTrials: 300, CurveTrials: 40,
		ImpostorBudget: 10 * time.Second, MaxImpostorTrials: 300, VerifyTimings: 20,
	})
	if err != nil {
		t.Fatalf("MeasureAccuracy: %v", err)
	}
	if rep.FRRAt20Trials != 300 || rep.FRRAt20 > 0.01 {
		t.Errorf("FRR at 20%% = %.4f over %d trials; want ≤ 0.01 over 300", rep.FRRAt20, rep.FRRAt20Trials)
	}
	if rep.FARAt40 > 1e-6 || rep.FARAt40Trials != 100 || rep.ImpostorTrials != 200 || rep.ImpostorAccepted != 0 || rep.FARAt40Sampled != 0 {
		t.Errorf("FAR: bound %.3g, sampled %g over %d, impostors %d/%d; want ≤1e-6, 0 over 100, 0/200",
			rep.FARAt40, rep.FARAt40Sampled, rep.FARAt40Trials, rep.ImpostorAccepted, rep.ImpostorTrials)
	}
	if rep.MaxCorrectBlocksAt40 >= rep.CorrectBlocksNeeded || rep.BlockCorrectAt40 > rep.BlockCorrectAt40Bound+0.02 {
		t.Errorf("blocks at 40%%: max correct %d (need %d), rate %.3f vs bound %.3f", rep.MaxCorrectBlocksAt40, rep.CorrectBlocksNeeded, rep.BlockCorrectAt40, rep.BlockCorrectAt40Bound)
	}
	if len(rep.Curve) != 10 || rep.Curve[0].AcceptRate != 1 || rep.Curve[9].AcceptRate != 0 {
		t.Errorf("curve = %+v; want 10 levels from accept 1 to accept 0", rep.Curve)
	}
	if rep.VerifyMs <= 0 { // speed itself is BenchmarkVerify's business
		t.Errorf("verify_ms = %g; want > 0", rep.VerifyMs)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"frr_at_20pct", "far_at_40pct", "far_at_40pct_empirical", "far_at_40pct_empirical_trials", "verify_ms", "curve"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("report JSON lacks %q: %s", name, b)
		}
	}
}

func TestMeasureAccuracyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := MeasureAccuracy(ctx, AccuracyConfig{Persons: 1, GenuineTrials: 10})
	if jukinet.ErrorKind(err) != jukinet.KindUnavailable {
		t.Errorf("MeasureAccuracy(canceled) error = %v; want unavailable", err)
	}
}
