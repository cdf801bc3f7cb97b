#include "mathlib/stats.h"

#include <cmath>

namespace mathlib {

double stddev(const std::vector<double>& values) {
    if (values.empty()) return 0.0;
    const double m = mean(values);
    double sum_sq = 0.0;
    for (double v : values) sum_sq += (v - m) * (v - m);
    return std::sqrt(sum_sq / static_cast<double>(values.size()));
}

}  // namespace mathlib
