// Package rules holds the rulebook's pure rules — quarterly grading, review
// packs, claim deadlines and the tender, revenue splits and the manager
// roster — as plain functions over domain types. No IO, no SQL, no clock:
// every date is passed in, every amount is integer fen.
package rules
