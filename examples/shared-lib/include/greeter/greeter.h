#ifndef GREETER_GREETER_H
#define GREETER_GREETER_H

#include <string>

namespace greeter {

// Returns "hello, <name>".
std::string hello(const std::string& name);

}  // namespace greeter

#endif  // GREETER_GREETER_H
