#include <iostream>

#include "greeter/greeter.h"

int main() {
    std::cout << "greeter says: " << greeter::hello("world") << '\n';  // greeter says: hello, world
    return 0;
}
