#include <iostream>

#include "greet.h"

int main() {
    std::cout << greeting("replibuild") << '\n';  // Hello from replibuild!
    return 0;
}
