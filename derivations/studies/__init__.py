"""Study-specific dataset programs."""
