package validate

import (
	promparser "github.com/prometheus/prometheus/promql/parser"
)

// ParsePromQL parses a PromQL expression with the Prometheus parser's
// default options (no experimental functions).
func ParsePromQL(expr string) (promparser.Expr, error) {
	return promparser.NewParser(promparser.Options{}).ParseExpr(expr)
}
