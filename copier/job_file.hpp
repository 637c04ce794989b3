// Reads the files a user names: a job from a YAML file (see README "Job files"), a plan from its
// JSON file. Errors name the file, the line and the key that is wrong.
#pragma once

#include <string>

#include "copier/job.hpp"
#include "copier/plan.hpp"

namespace ferry {

Job LoadJobFile(const std::string& path);

// The whole text of a file the user named (`what`: "job file", "plan file"). Throws
// Error(kUsage) saying why it cannot be read ("no such file", "permission denied", "is a
// directory").
std::string ReadUserFile(const std::string& path, const std::string& what);
Job ParseJob(const std::string& yaml_text, const std::string& file_name);

// A plan file (ferry plan --out), read and checked (PlanFromJson).
Plan ReadPlanFile(const std::string& path);

}  // namespace ferry
