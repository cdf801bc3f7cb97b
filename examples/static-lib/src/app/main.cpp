#include <iostream>
#include <vector>

#include "mathlib/stats.h"

int main() {
    const std::vector<double> data{1, 2, 3, 4, 5};
    // Default stream precision (6 significant digits): mean=3 stddev=1.41421
    std::cout << "mean=" << mathlib::mean(data) << " stddev=" << mathlib::stddev(data) << '\n';
    return 0;
}
