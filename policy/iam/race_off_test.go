//go:build !race

package iam_test

const raceEnabled = false
