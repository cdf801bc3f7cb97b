#ifndef MATHLIB_STATS_H
#define MATHLIB_STATS_H

#include <vector>

namespace mathlib {

// Arithmetic mean of `values`; 0 for an empty vector.
double mean(const std::vector<double>& values);

// Population standard deviation of `values`; 0 for an empty vector.
double stddev(const std::vector<double>& values);

}  // namespace mathlib

#endif  // MATHLIB_STATS_H
