"""教职工岗位工作目标责任状: portal content, site build and submission service."""
