package main

import (
	"fmt"
	"math"
	"slices"
)

// summary is what every figure reports: the middle value and the range,
// so one slow outlier neither hides nor dominates.
type summary struct {
	Median, Min, Max float64
	N                int
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	med := s[mid]
	if len(s)%2 == 0 {
		med = (s[mid-1] + s[mid]) / 2
	}
	return summary{Median: med, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// one is a figure measured once (a count over a whole window).
func one(x float64) summary { return summary{Median: x, Min: x, Max: x, N: 1} }

// format renders the summary with prec decimals; a single value has no
// range to show.
func (s summary) format(prec int) string {
	if s.N == 0 {
		return "n/a"
	}
	if s.N == 1 || s.Min == s.Max {
		return fmt.Sprintf("%.*f", prec, s.Median)
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, s.Median, prec, s.Min, prec, s.Max)
}

// ratio is krenew's median over the peer's, the number the targets are
// stated in.
func ratio(krenew, peer summary) float64 {
	if krenew.N == 0 || peer.N == 0 || peer.Median == 0 {
		return math.NaN()
	}
	return krenew.Median / peer.Median
}

// stddev is the population standard deviation.
func stddev(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var sq float64
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return math.Sqrt(sq / float64(len(xs)))
}
