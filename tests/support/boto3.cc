// RunBoto3: drives boto3 (a client we did not write) from C++ tests.
#include "support/boto3.h"

#include <cstdlib>
#include <fstream>

#include "support/test_env.h"

namespace thaw::testing {

std::string RunBoto3(const std::string& endpoint, const std::string& body, int* rc) {
  TempDir dir;
  std::string script =
      "import boto3, json, sys, hashlib\n"
      "from botocore.config import Config\n"
      "s3 = boto3.client('s3', endpoint_url='" +
      endpoint +
      "', region_name='us-east-1',"
      " aws_access_key_id='testing', aws_secret_access_key='testing',"
      " config=Config(s3={'addressing_style': 'path'}))\n" +
      body + "\n";
  std::string path = dir.WriteFile("script.py", script);
  std::string out;
  int code = RunCommand("python3 " + path + " 2>&1", &out);
  if (rc) *rc = code;
  return out;
}

}  // namespace thaw::testing
