// Reads a job from a YAML file (see README "Job files"). Errors name the file, the line and
// the key that is wrong.
#pragma once

#include <string>

#include "copier/job.hpp"

namespace ferry {

Job LoadJobFile(const std::string& path);
Job ParseJob(const std::string& yaml_text, const std::string& file_name);

}  // namespace ferry
