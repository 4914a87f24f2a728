// Package calib checks the performance engine against published
// measurements: it reads rows in the calibration CSV format (testdata/ holds
// the project's own copy, each row with its source), predicts each supported
// row, and reports median and p90 absolute percentage error per class. Fit
// refits the efficiency factors on those rows.
package calib
