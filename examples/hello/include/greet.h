#ifndef HELLO_GREET_H
#define HELLO_GREET_H

#include <string>

// Builds the greeting line for `who`, e.g. greeting("replibuild") == "Hello from replibuild!".
std::string greeting(const std::string& who);

#endif  // HELLO_GREET_H
