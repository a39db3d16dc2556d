// Package domain holds kam's vocabulary: units, managers, customers, revenue,
// claims, split agreements and targets, with money in integer fen and calendar
// months, quarters and dates as small value types. It imports neither SQL nor
// excelize; loaders, store, rules and reports all speak these types.
package domain
