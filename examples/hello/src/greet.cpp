#include "greet.h"

std::string greeting(const std::string& who) {
    return "Hello from " + who + "!";
}
